"""``kcbot bench --rest`` counts a request as served only when the citizen got a real answer."""

from __future__ import annotations

import json
import os

from kcbot.bench_rest import answered, process_cpu_s
from kcbot.channels.client import Response


def _response(body: object, status: int = 200) -> Response:
    return Response(status, {}, json.dumps(body).encode())


def test_a_reply_to_the_sender_with_text_counts() -> None:
    body = [{"recipient_id": "a-1", "text": "Hej!"}, {"recipient_id": "a-1", "text": "Hvad nu?"}]
    assert answered(_response(body), "a-1")


def test_a_200_without_a_usable_reply_is_an_error() -> None:
    assert not answered(_response([]), "a-1")  # the citizen saw nothing
    assert not answered(_response([{"recipient_id": "b-2", "text": "Hej"}]), "a-1")
    assert not answered(_response([{"recipient_id": "a-1", "text": "  "}]), "a-1")
    assert not answered(_response({"error": "x"}), "a-1")
    assert not answered(Response(200, {}, b"<html>"), "a-1")


def test_a_refusal_is_an_error() -> None:
    assert not answered(_response([{"recipient_id": "a-1", "text": "Hej"}], 429), "a-1")
    assert not answered(_response({"error": "For mange beskeder."}, 429), "a-1")


def test_cpu_time_of_a_process_is_read() -> None:
    spent = process_cpu_s(os.getpid())
    assert spent is not None and spent > 0
    assert process_cpu_s(2**22 + 12345) is None  # no such process
