"""The command groups of ``baytwin``, one module each; ``baytwin/cli.py`` puts them together."""
