#!/bin/sh
# Ban unsafe C functions (after curl's checksrc).  Exit 1 on any use.
set -eu
cd "$(dirname "$0")/.."
banned='\b(strcpy|strcat|sprintf|vsprintf|gets|strtok|atoi|atol|atof|system|popen|tmpnam|mktemp)[[:space:]]*\('
if grep -rnE "$banned" src tests/unit bench --include='*.c' --include='*.h'; then
    echo "checksrc: banned function used (see above)" >&2
    exit 1
fi
echo "checksrc: ok"
