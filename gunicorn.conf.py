# gunicorn reads ./gunicorn.conf.py by default: the web container's command
# (docker-compose.yml) and a local `gunicorn tracker.config.wsgi:application`
# both run from the repository root. Flags on the command line win.
logger_class = "tracker.config.gunicorn.JsonLogger"
# No control socket: the container (or systemd) manages the process, and two
# servers on one machine would otherwise share $HOME/.gunicorn/gunicorn.ctl.
control_socket_disable = True
# Whether a request came over HTTPS is Django's to decide
# (DJANGO_TRUST_X_FORWARDED_PROTO), not gunicorn's: it would trust the header
# from any proxy on this machine, e.g. `make run`'s nginx passing a client's.
secure_scheme_headers = {}
