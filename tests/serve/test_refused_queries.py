"""The service refuses what the retriever refuses: empty and all-unknown text queries (issue #11)."""

from __future__ import annotations

import threading

import pytest

pytest.importorskip("fastapi", reason="needs the 'serve' extra (pip install 'classicx[serve]')")


@pytest.mark.parametrize("text", ["qwertyuiop zxcvbnm", "xylophone"])
def test_a_query_of_unknown_words_is_a_422_naming_it(client, text):
    # 422, the service's status for every InputError (an empty query gets the same)
    response = client.post("/api/search/text", json={"text": text, "k": 3})
    assert response.status_code == 422
    assert "no word the model knows" in response.json()["detail"] and text in response.json()["detail"]
    fused = client.post("/api/search/fused", data={"text": text, "image_id": "train-00000"})
    assert fused.status_code == 422


def test_a_refused_query_does_not_fail_the_others_of_its_batch(app, client):
    """Concurrent text queries are answered in one batch; only the unknown one gets the error."""
    from classicx.exceptions import InputError

    service = app.state.served
    barrier = threading.Barrier(3)
    results: dict[str, object] = {}

    def ask(text: str) -> None:
        barrier.wait()
        try:
            results[text] = service.submit_text(text, 3).result(timeout=30)
        except InputError as exc:
            results[text] = exc

    threads = [threading.Thread(target=ask, args=(t,)) for t in ("a red circle", "zzzz", "a blue star")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert isinstance(results["zzzz"], InputError)
    assert len(results["a red circle"]) == 3 and len(results["a blue star"]) == 3


def test_the_batcher_answers_each_query_of_a_failed_batch_alone():
    from concurrent.futures import Future

    from classicx.exceptions import InputError
    from classicx.serve._batch import TextBatcher

    calls = []

    def run(texts, k):
        calls.append(list(texts))
        if "bad" in texts:
            raise InputError("the text query 'bad' has no word the model knows")
        return [[f"{t}-{i}" for i in range(k)] for t in texts]

    batcher = TextBatcher(run)
    jobs = [(text, 2, Future()) for text in ("one", "bad", "two")]
    for _, _, future in jobs:
        future.set_running_or_notify_cancel()
    batcher._deliver(batcher._answer(jobs))
    assert calls == [["one", "bad", "two"], ["one"], ["bad"], ["two"]]
    assert jobs[0][2].result() == ["one-0", "one-1"] and jobs[2][2].result() == ["two-0", "two-1"]
    with pytest.raises(InputError, match="'bad'"):
        jobs[1][2].result()


def test_async_answers_of_a_batch_reach_their_loop_in_one_wake_up():
    import asyncio

    from classicx.serve._batch import TextBatcher

    release = __import__("threading").Event()

    def run(texts, k):
        release.wait(timeout=30)  # the first batch holds until every query is queued
        return [[f"{t}-{i}" for i in range(k)] for t in texts]

    batcher = TextBatcher(run)

    async def main():
        loop = asyncio.get_running_loop()
        wake_ups = []
        original = loop.call_soon_threadsafe

        def counting(callback, *args, **kwargs):
            wake_ups.append(callback)
            return original(callback, *args, **kwargs)

        loop.call_soon_threadsafe = counting
        futures = [batcher.submit_async(f"q{i}", 1 + i % 3) for i in range(12)]
        futures[5].cancel()  # a client that went away: the others are answered all the same
        release.set()
        answers = await asyncio.gather(*futures, return_exceptions=True)
        return answers, len(wake_ups)

    answers, wake_ups = asyncio.run(main())
    assert isinstance(answers[5], asyncio.CancelledError)
    for i, answer in enumerate(answers):
        if i != 5:
            assert answer == [f"q{i}-{j}" for j in range(1 + i % 3)]
    assert 1 <= wake_ups <= batcher.batches < 12
