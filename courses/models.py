# Filled by a later issue (see the issue list); the app exists so its place in the house is set.
