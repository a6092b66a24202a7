"""asyncdash: measures Django's progress along its async road (DEP 0009)."""
