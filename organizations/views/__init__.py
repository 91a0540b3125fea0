"""Organization pages, one module per area: core (home, create, general settings), members,
invitations, teams, audit."""
