"""Guards duoflow.runtime.patches.moto_s3's object-request lock: moto 5.2.5's S3 ``put_object`` reads the object it just
stored again for the answer's ETag, so two PUTs of one key at once can answer "I/O operation on closed file";
the runtime makes requests on objects take turns."""

from __future__ import annotations

import inspect
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from duoflow.runtime import LocalRuntime


def test_moto_reads_the_stored_object_again_for_its_answer_and_dispatches_through_key_response(runtime: LocalRuntime):
    from moto.s3.responses import S3Response

    put = inspect.getsource(S3Response.put_object)
    assert put.index("self.backend.put_object(") < put.index("new_key.response_dict")
    assert "cls().key_response(" in inspect.getsource(S3Response.key_dispatch)


def test_overwrites_of_one_key_at_once_all_succeed(runtime: LocalRuntime) -> None:
    s3: Any = runtime.client("s3")
    s3.create_bucket(Bucket="overwrites")

    def overwrite(thread: int) -> list[str]:
        return [
            s3.put_object(Bucket="overwrites", Key="same.json", Body=f"{thread}-{n}".encode())["ETag"]
            for n in range(25)
        ]

    with ThreadPoolExecutor(max_workers=4) as pool:
        etags = [etag for answers in pool.map(overwrite, range(4)) for etag in answers]
    assert len(etags) == 100
    assert s3.get_object(Bucket="overwrites", Key="same.json")["Body"].read().decode().count("-") == 1
