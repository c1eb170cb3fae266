"""The nine explainer themes, in the project's own words."""
