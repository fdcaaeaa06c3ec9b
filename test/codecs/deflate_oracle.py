"""Python's zlib.compress (Debian's python3 and zlib) as an oracle for test/codecs/deflate.test.ts.

One JSON request per line on stdin, one JSON answer per line on stdout:
  {"inputs": [base64 of bytes, ...]} -> {"outputs": [base64 of zlib.compress(bytes), ...],
                                         "zlib": zlib.ZLIB_RUNTIME_VERSION}
"""
import base64
import ctypes
import json
import sys
import zlib

# Each zlib.compress allocates and frees zlib's ~260 KB of state; glibc then gives the top of
# the heap back to the kernel and takes it again on the next call, which made 4000 calls take
# seconds of system time. Keeping freed memory (M_TRIM_THRESHOLD, M_TOP_PAD) avoids that. The
# compressed bytes do not depend on it.
try:
    _libc = ctypes.CDLL("libc.so.6")
    _libc.mallopt(-1, 64 << 20)
    _libc.mallopt(-2, 1 << 20)
except OSError:
    pass

for line in sys.stdin:
    try:
        request = json.loads(line)
        outputs = [
            base64.b64encode(zlib.compress(base64.b64decode(item))).decode("ascii")
            for item in request["inputs"]
        ]
        answer = {"outputs": outputs, "zlib": zlib.ZLIB_RUNTIME_VERSION}
    except Exception as error:  # noqa: BLE001 - any failure goes back to the test
        answer = {"failure": f"{type(error).__name__}: {error}"}
    sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()
