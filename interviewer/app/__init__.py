"""Application services: wiring settings into models, graders, stores and indexes
(`services`), and one user's data (`privacy`). The CLI and the UI sit on top of this."""
