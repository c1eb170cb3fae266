"""The guidance's stages of a project, as data."""
