"""Migration from a running BadgeKit API deployment (mozilla/badgekit-api): its MySQL database
into the table and the images bucket (`python -m migrate`)."""
