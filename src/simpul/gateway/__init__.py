"""The integration gateway: ``registry`` (control plane), ``dataplane`` (the proxy process),
``msglog`` (the signed, hash-chained message log) and ``monitor`` (traffic pages)."""
