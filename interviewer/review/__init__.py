"""Take-home review: a submission (files, a folder or a .zip) read safely, checked by the
analyzers a reviewer would run (bandit, detect-secrets, dependency hygiene, code-quality
signals), never executed, and graded together with its written part.

Kept free of imports here: `interviewer.core.grade` imports `review.findings` (a pure type),
and the engine imports the grading package.
"""
