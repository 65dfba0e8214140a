"""botocore's Signature Version 4 (``pins.PINNED["botocore"]``, 1.44.5): one speed-up, no fix.

Speed-up (left out with ``DUOFLOW_SPEEDUPS=0``): ``SigV4Auth.add_auth`` (botocore/auth.py). While a runtime runs,
every AWS request made in this process is answered by the runtime: moto (through ``mock_aws``) or the runtime's own
endpoint, and neither checks a signature. What they read of the ``Authorization`` header is its credential scope
(moto: the access key, which names the account, and the region; duoflow/runtime/aws_endpoint.py: the service and
region). So the header is built exactly as botocore builds it (the same ``Credential=`` scope, ``SignedHeaders=``,
``X-Amz-Date``, security token), with ``Signature=`` 64 zeros instead of the HMAC chain over the canonical request
(hashing the payload, four HMACs): about 6 % of the runtime's CPU per run. Only plain SigV4 (Lambda, DynamoDB, Step
Functions, SNS, SQS, EventBridge …); its subclasses (S3's, the presigned URLs' and the others) are signed as before,
so a presigned URL handed out is still a real one.

Guarded by tests/runtime/test_speedups.py.
"""

from __future__ import annotations

from typing import Any

from duoflow.runtime.patches._patching import Patcher, Target

LIBRARIES = ("botocore",)

_ADD_AUTH = Target("botocore.auth", "SigV4Auth.add_auth")
FIXES: tuple[Target, ...] = ()
SPEEDUPS = (_ADD_AUTH,)

NOT_COMPUTED = "0" * 64  # what stands for the signature: a SHA-256 HMAC's length in hex

_patcher = Patcher(FIXES, SPEEDUPS)


def install(speedups: bool) -> None:
    if _patcher.installed:
        return
    if speedups:
        _install_scope_only()
    _patcher.installed = True


def uninstall() -> None:
    _patcher.restore()


def _install_scope_only() -> None:
    from botocore import auth
    from botocore.exceptions import NoCredentialsError

    signed = auth.SigV4Auth.add_auth

    def add_auth(self: Any, request: Any) -> Any:
        if type(self) is not auth.SigV4Auth:  # S3, presigned URLs, …: their own rules, signed in full
            return signed(self, request)
        if self.credentials is None:
            raise NoCredentialsError()
        # botocore's add_auth, less the canonical request, the string to sign and the signature's HMACs
        request.context["timestamp"] = auth.get_current_datetime().strftime(auth.SIGV4_TIMESTAMP)
        self._modify_request_before_signing(request)
        self._inject_signature_to_request(request, NOT_COMPUTED)
        return None

    _patcher.replace(_ADD_AUTH, add_auth)
