"""The grouping dimensions every new organization starts with (PRODUCT.md §6), and the label colours.

A value's colour is one name of a fixed palette: each maps to a `chip--<name>` class in the stylesheet
(the strict CSP forbids inline styles, so a free hex colour could not be shown anyway).
"""

LABEL_COLORS = [
    ("grey", "Grey"),
    ("red", "Red"),
    ("orange", "Orange"),
    ("amber", "Amber"),
    ("green", "Green"),
    ("teal", "Teal"),
    ("blue", "Blue"),
    ("violet", "Violet"),
    ("pink", "Pink"),
]
LABEL_COLOR_KEYS = frozenset(key for key, _ in LABEL_COLORS)

# The key of the dimension whose values are the organization's teams.
TEAM_DIMENSION_KEY = "team"

# (key, name, values, follows_teams); values are (key, name, colour).
DEFAULT_DIMENSIONS = [
    (
        "environment",
        "Environment",
        [
            ("development", "Development", "blue"),
            ("staging", "Staging", "amber"),
            ("production", "Production", "red"),
        ],
        False,
    ),
    ("project", "Project", [("default", "Default", "violet")], False),
    (TEAM_DIMENSION_KEY, "Team", [], True),
    (
        "data-sensitivity",
        "Data sensitivity",
        [
            ("public", "Public", "green"),
            ("internal", "Internal", "blue"),
            ("confidential", "Confidential", "amber"),
            ("highly-confidential", "Highly confidential", "red"),
        ],
        False,
    ),
]

# The policies the default values start with (PRODUCT.md §6): production and highly confidential
# workspaces are protected and reviewed monthly. (dimension key, value key) → DimensionValue fields.
DEFAULT_POLICIES = {
    ("environment", "production"): {"protected": True, "review_cadence_days": 30},
    ("data-sensitivity", "highly-confidential"): {"protected": True, "review_cadence_days": 30},
}
