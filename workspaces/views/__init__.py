"""Workspace pages: core (stepper, overview, settings), members, custom roles."""
