"""Pure types and text utilities: packs, grades, session values, transcript events, settings,
errors. The bottom layer: it imports nothing else from the package."""
