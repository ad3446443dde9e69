"""The evidence quoted for a covered key point is the sentence that shows it, not the whole
answer (pooled, the answer as a whole can edge out each of its sentences, and the card then
quoted it from its first word)."""

from __future__ import annotations

from fakes import BagOfWordsEncoder
from test_reference_grader import KP, coverage_calibration, technical_question

from interviewer.core.grade import GradeRequest
from interviewer.grading.reference import ReferenceGrader


def test_a_covered_point_quotes_the_sentence_that_shows_it() -> None:
    g = ReferenceGrader(BagOfWordsEncoder(), coverage_calibration())
    for answer, sentence, point in [
        ("Overfitting means the model memorises noise. It comes from the training data.",
         "Overfitting means the model memorises noise.", KP[0]),
        ("Regularization reduces overfitting. It works by penalizing complex models.",
         "Regularization reduces overfitting.", KP[1]),
    ]:
        grade = g.grade(GradeRequest(question=technical_question(), answer=answer))
        hit = next(k for k in grade.key_points if k.point == point)
        assert hit.covered and hit.evidence == sentence
