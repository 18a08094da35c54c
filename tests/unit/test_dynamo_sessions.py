"""shared/dynamo.py: pynamodb connections share one botocore session per thread."""


def test_every_model_shares_this_threads_botocore_session(monkeypatch):
    """shared/dynamo.py: one botocore session per thread for every pynamodb model (pynamodb 6
    would make one per model class, ~40 ms of CPU each at cold start)."""
    import threading

    import pynamodb.connection.base as connection
    from pynamodb.connection import Connection

    from shared.dynamo import thread_session

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    assert connection.get_session is thread_session
    first, second = Connection(region="us-east-1"), Connection(region="us-east-1")
    assert first.session is second.session is thread_session()
    other: list = []
    worker = threading.Thread(target=lambda: other.append(Connection(region="us-east-1").session))
    worker.start()
    worker.join()
    assert other[0] is not first.session
