"""The offline reference grader: no LLM, only the local sentence embeddings and text cues.

An answer is compared sentence by sentence with the question's key points (the checklist), as a
whole with the example answer, and with the question (an echo is not an answer). Length,
specificity and, for behavioral questions, STAR cues complete the picture. A calibration fitted on
human-graded SAF answers maps these features to 1-5. Claims matching one of the question's known
misconceptions, or contradicting a key point they paraphrase, cap the score. The answer is read as
a person sees it (Unicode tricks undone); text addressed to the grader and sentences repeated over
and over are removed before scoring, and the grade of the unremoved answer is kept if it is lower.

Modules: `policy` (every number, versioned), `calibration` (the fitted model, saved with its
policy), `features` (what is measured), `claims` (wrong claims), `feedback` (the card),
`grader` (the `Grader`).
"""

from interviewer.grading.reference.calibration import Calibration, load_calibration
from interviewer.grading.reference.features import (
    FEATURES,
    AnswerFeatures,
    Encoder,
    question_from_reference,
)
from interviewer.grading.reference.grader import ReferenceGrader
from interviewer.grading.reference.policy import ReferencePolicy

__all__ = [
    "FEATURES",
    "AnswerFeatures",
    "Calibration",
    "Encoder",
    "ReferenceGrader",
    "ReferencePolicy",
    "load_calibration",
    "question_from_reference",
]
