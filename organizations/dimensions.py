"""The grouping dimensions every new organization starts with (PRODUCT.md §6)."""

DEFAULT_DIMENSIONS = [
    (
        "environment",
        "Environment",
        [
            ("development", "Development", "blue"),
            ("staging", "Staging", "amber"),
            ("production", "Production", "red"),
        ],
    ),
    ("project", "Project", [("default", "Default", "violet")]),
    ("team", "Team", [("platform", "Platform", "teal")]),
    (
        "data-sensitivity",
        "Data sensitivity",
        [
            ("public", "Public", "green"),
            ("internal", "Internal", "blue"),
            ("confidential", "Confidential", "amber"),
            ("highly-confidential", "Highly confidential", "red"),
        ],
    ),
]
