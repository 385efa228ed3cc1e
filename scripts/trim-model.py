#!/usr/bin/env python3
"""Trim a botocore service model to what request validation needs.

Dev-time helper: berth embeds the trimmed model so the server checks every
request's shape (types, required members, enums, ranges) against the same
specification the AWS CLI and boto3 use. Usage:
    scripts/trim-model.py ecs 2014-11-13 > src/server/ecs/model.json
"""
import gzip, json, os, sys

import botocore

KEEP_SHAPE = ("type", "members", "required", "enum", "min", "max", "member",
              "key", "value", "pattern", "exception", "error", "flattened")
KEEP_MEMBER = ("shape", "jsonvalue")
# The AWS query protocol's reply wraps an operation's output in an element
# named by resultWrapper, under the model's XML namespace.
KEEP_METADATA = ("targetPrefix", "apiVersion", "protocol", "xmlNamespace", "signingName", "endpointPrefix")


def main():
    service, version = sys.argv[1], sys.argv[2]
    base = os.path.join(os.path.dirname(botocore.__file__), "data", service, version)
    path = os.path.join(base, "service-2.json")
    if os.path.exists(path + ".gz"):
        model = json.load(gzip.open(path + ".gz"))
    else:
        model = json.load(open(path))
    out = {"metadata": {k: model["metadata"][k] for k in KEEP_METADATA if k in model["metadata"]},
           "operations": {}, "shapes": {}}
    for name, op in model["operations"].items():
        o = {}
        if "input" in op:
            o["input"] = op["input"]["shape"]
        if "output" in op:
            o["output"] = op["output"]["shape"]
            if "resultWrapper" in op["output"]:
                o["resultWrapper"] = op["output"]["resultWrapper"]
        out["operations"][name] = o
    for name, shape in model["shapes"].items():
        s = {k: v for k, v in shape.items() if k in KEEP_SHAPE}
        if "members" in s:
            s["members"] = {m: {k: v for k, v in spec.items() if k in KEEP_MEMBER}
                            for m, spec in s["members"].items()}
        for k in ("member", "key", "value"):
            if k in s:
                s[k] = {"shape": s[k]["shape"]}
        if "error" in s:
            s["error"] = {k: v for k, v in s["error"].items() if k in ("code", "httpStatusCode")}
        out["shapes"][name] = s
    json.dump(out, sys.stdout, sort_keys=True, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
