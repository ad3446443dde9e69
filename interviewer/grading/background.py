"""A grader built on a worker thread, so a terminal session shows its first question at once.

Loading the reference grader's ONNX encoder takes a second or more; the candidate needs a while
to read and answer the first question anyway. `prepare` calls made before the grader is ready
are queued and run on the same thread once it is; the first `grade` waits for it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from interviewer.core.grade import Grade, Grader, GradeRequest, prepare_grader
from interviewer.core.pack import Question


class BackgroundGrader:
    def __init__(self, build: Callable[[], Grader], *, name: str) -> None:
        self.name = name
        self._build = build
        self._grader: Grader | None = None
        self._error: BaseException | None = None
        self._queued: list[list[Question]] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="grader-build", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            grader = self._build()
        except BaseException as e:  # noqa: BLE001 - handed to the caller of `grade`, whatever it is
            self._error = e
            return
        while True:
            with self._lock:
                if not self._queued:
                    self._grader = grader
                    return
                questions = self._queued.pop(0)
            prepare_grader(grader, questions)

    def ready(self) -> Grader:
        """The built grader (waits for it); a build error is raised here, as it was raised."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._grader is not None
        return self._grader

    def prepare(self, questions: list[Question]) -> None:
        with self._lock:
            if self._grader is None and self._error is None:
                self._queued.append(list(questions))
                return
        if self._grader is not None:
            prepare_grader(self._grader, questions)

    def grade(self, request: GradeRequest) -> Grade:
        return self.ready().grade(request)
