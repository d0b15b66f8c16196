#!/usr/bin/env bash
# Downloads HAM10000 and the ISIC 2018 Task 3 test set with ground truth from Harvard Dataverse,
# verifies the published MD5s and lays them out for `skinscan evaluate` (needs internet).
#   scripts/fetch_ham10000.sh OUT          (see scripts/fetch_ham10000.py for details)
exec "${PYTHON:-/usr/bin/python3}" "$(dirname "$0")/fetch_ham10000.py" "$@"
