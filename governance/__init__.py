"""Governance: the work that spans an organization and its workspaces.

`organizations` (members, teams, invitations, organization roles) and `workspaces` (the workspace,
its lifecycle and roles) never import this package; it imports both. Here live the operations that
change both at once (removing a member with their workspace roles, team changes checked against the
team's workspace roles, invitations that carry workspace grants), the pages that are doors to them
(members, teams, invitations), the owners' admin panel (`/org-admin/`), demo data and the permission
drift check. Later: access reviews and the "who has access to what" page.
"""
