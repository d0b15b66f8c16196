#!/usr/bin/env bash
# End-to-end tests of `skinscan audit` (duplicates, leaks, label issues, gates, bad input).
# Each test_* function is one ctest (tests/CMakeLists.txt); `bash audit.sh test_NAME` runs one.
set -u
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

# make_distinct DIR NAME...: one textured 160x120 image per name (smooth random blobs, a seed per
# name), so that their difference hashes are far apart.
make_distinct() {
  local dir=$1
  shift
  mkdir -p "$dir"
  py "
import sys, zlib
import numpy as np
from PIL import Image
for name in sys.argv[1:]:
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    small = Image.fromarray(rng.integers(0, 256, (6, 8, 3), dtype=np.uint8))
    small.resize((160, 120), Image.BICUBIC).save('$dir/' + name)
" "$@"
}

test_audit_finds_copies_and_leaks() {
  make_distinct "$WORK/a" baseline.png plain.png cmyk.png
  mkdir -p "$WORK/b"
  cp "$WORK/a/baseline.png" "$WORK/a/baseline_copy.png"   # exact: the same pixels
  cp "$WORK/a/plain.png" "$WORK/b/plain_again.png"        # across the two sets: a leak
  py "
from PIL import Image
im = Image.open('$WORK/a/cmyk.png')
im.resize((im.width // 2, im.height // 2)).save('$WORK/b/cmyk_small.png')   # near: half size
"
  run "$SKINSCAN" audit "$WORK/a" --against "$WORK/b" --out "$WORK/audit.json"
  expect_rc 0
  expect_out "audited 6 images (0 could not be read)"
  expect_out "leaks across the two sets: 2 pairs"
  py "
import json
r = json.load(open('$WORK/audit.json'))
pairs = {(p['a'], p['b']): p for p in r['duplicates']['pairs']}
assert any(p['exact'] and {p['a'], p['b']} == {'baseline', 'baseline_copy'} for p in pairs.values()), pairs
leaks = {frozenset((p['a'], p['b'])) for p in r['leaks']['list']}
assert leaks == {frozenset(('plain', 'plain_again')), frozenset(('cmyk', 'cmyk_small'))}, leaks
assert r['counts']['leaks'] == 2 and r['counts']['exact_duplicates'] >= 2
assert any(set(c) == {'baseline', 'baseline_copy'} for c in r['duplicates']['clusters'])
"
  run "$SKINSCAN" audit "$WORK/a" --against "$WORK/b" --fail-over leaks=0
  expect_rc 3
  expect_err "gate failed: leaks = 2 is above 0"
}

test_audit_of_a_dataset_split_against_another() {
  # A HAM10000-style dataset whose test list shares an image id with its train list.
  make_distinct "$WORK/ham/HAM10000_images" I1.png I3.png
  printf 'lesion_id,image_id,dx\nL1,I1,nv\nL1,I2,nv\nL2,I3,mel\n' >"$WORK/ham/HAM10000_metadata.csv"
  cp "$WORK/ham/HAM10000_images/I1.png" "$WORK/ham/HAM10000_images/I2.png"
  printf 'I1\n' >"$WORK/test.txt"
  printf 'I2\nI3\n' >"$WORK/train.txt"
  run "$SKINSCAN" audit --data "$WORK/ham" --split "$WORK/test.txt" --against "$WORK/train.txt" --json
  expect_rc 0
  py "
import json
r = json.load(open('$WORK/out'))
assert r['leaks']['pairs'] == 1 and r['leaks']['same_lesion_or_patient'] == 1, r['leaks']
assert r['leaks']['list'][0]['shared'] == 'lesion_id=L1'
"
}

test_audit_label_issues_and_bad_input() {
  mkdir -p "$WORK/a" "$WORK/empty"
  cp "$GOOD/baseline.jpg" "$GOOD/plain.png" "$WORK/a/"
  printf 'id,path,truth,prediction,confidence,correct,p_mel,p_nv\n' >"$WORK/per.csv"
  printf 'baseline,x,mel,nv,0.9,0,0.1,0.9\nplain,y,nv,nv,0.8,1,0.2,0.8\n' >>"$WORK/per.csv"
  run "$SKINSCAN" audit "$WORK/a" --per-image "$WORK/per.csv" --json
  expect_rc 0
  py "
import json
li = json.load(open('$WORK/out'))['label_issues']
assert li['issue_count'] == 1 and li['issues'][0]['id'] == 'baseline' and li['issues'][0]['suggested'] == 'nv', li
"
  # Errors before any image is read, or that name the file and the reason.
  run "$SKINSCAN" audit "$WORK/empty"
  expect_rc 1
  expect_err "nothing to audit: no images found"
  run "$SKINSCAN" audit "$WORK/a" --fail-over leak=0
  expect_rc 1
  expect_err "gate 'leak=0': unknown audit metric 'leak' (use duplicate_pairs, exact_duplicates, leaks, label_issues, quality_flags)"
  run "$SKINSCAN" audit "$WORK/a" --fail-over leaks=0
  expect_rc 1
  expect_err "gate 'leaks=0': leaks needs --against"
  printf 'id,path,truth,prediction,confidence,correct,p_mel,p_nv\nother,x,mel,nv,0.9,0,0.1,0.9\n' >"$WORK/other.csv"
  run "$SKINSCAN" audit "$WORK/a" --per-image "$WORK/other.csv" --out "$WORK/r.json"
  expect_rc 1
  expect_err "$WORK/other.csv: none of its 1 ids is among the audited images"
  run "$SKINSCAN" audit "$WORK/a" --per-image "$WORK/a/plain.png"
  expect_rc 1
  expect_err "$WORK/a/plain.png"
  # An unreadable image is recorded and the audit goes on (exit 2).
  cp "$BAD/empty.jpg" "$WORK/a/broken.jpg"
  run "$SKINSCAN" audit "$WORK/a" --out "$WORK/r2.json"
  expect_rc 2
  expect_err "broken.jpg: file is empty"
  [ -s "$WORK/r2.json" ] || fail "the report was not written"
}


test_audit_features_find_crops_and_rotations_quality_is_counted() {
  # A textured synthetic "lesion", a 10% crop and an 8-degree rotation of it (a dHash misses both),
  # an unrelated image, and a dark, flat one that fails the exposure and blur checks.
  mkdir -p "$WORK/set"
  py "
import numpy as np
from PIL import Image
rng = np.random.default_rng(3)
h, w = 300, 400
yy, xx = np.mgrid[0:h, 0:w] / 300.0
blob = np.exp(-((xx - 0.7) ** 2 + (yy - 0.5) ** 2) / 0.05)
base = np.stack([220 - 150 * blob, 170 - 120 * blob, 150 - 110 * blob], -1) + rng.normal(0, 18, (h, w, 3))
for k in range(30):
    cy, cx = rng.integers(0, h), rng.integers(0, w)
    base[max(0, cy - 6):cy + 6, max(0, cx - 6):cx + 6] *= 0.6
im = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8))
im.save('$WORK/set/original.png')
im.crop((20, 15, 380, 285)).save('$WORK/set/crop.png')
im.rotate(8, resample=Image.BICUBIC).save('$WORK/set/rotated.png')
other = np.stack([90 + 60 * np.sin(xx * 9), 140 + 50 * np.cos(yy * 7), 200 - 40 * xx], -1) + rng.normal(0, 10, (h, w, 3))
Image.fromarray(np.clip(other, 0, 255).astype(np.uint8)).save('$WORK/set/unrelated.png')
Image.fromarray(np.full((h, w, 3), 20, np.uint8)).save('$WORK/set/dark.png')
"
  run "$SKINSCAN" audit "$WORK/set" --json -q
  expect_rc 0
  cp "$WORK/out" "$WORK/hash.json"
  run "$SKINSCAN" audit "$WORK/set" --features --min-cosine 0.9 --json -q
  expect_rc 0
  py "
import json
hash_only = json.load(open('$WORK/hash.json'))
r = json.loads(open('$WORK/out').read())
key = lambda p: tuple(sorted((p['a'], p['b'])))
h = {key(p) for p in hash_only['duplicates']['pairs']}
assert ('crop', 'original') not in h and ('original', 'rotated') not in h, h
assert hash_only['duplicates']['min_cosine'] is None and 'cosine' not in str(hash_only['duplicates']['pairs'])
pairs = {key(p): p for p in r['duplicates']['pairs']}
for k in [('crop', 'original'), ('original', 'rotated')]:
    assert k in pairs and 'features' in pairs[k]['by'] and pairs[k]['cosine'] >= 0.9, (k, pairs.get(k))
assert all(p['cosine'] >= 0.9 or 'hash' in p['by'] or 'pixels' in p['by'] for p in pairs.values())
assert not any('unrelated' in k for k in pairs), pairs.keys()
d = r['duplicates']
assert d['min_cosine'] == 0.9 and d['feature_only_pairs'] >= 2
assert ['crop', 'original', 'rotated'] == sorted(c for c in d['clusters'][0] if c != 'dark'), d['clusters']
q = r['quality']
assert q['checked'] == 5 and r['counts']['quality_flags'] == q['flagged'] >= 1, q
dark = [i for i in q['images'] if i['id'] == 'dark'][0]
assert 'exposure' in dark['flags'] and 'blur' in dark['flags'], dark
assert q['per_check']['exposure'] >= 1
"
  run "$SKINSCAN" audit "$WORK/set" --features --min-cosine 0.9 -q
  expect_rc 0
  expect_out "pairs by features alone"
  expect_out "quality: "
  expect_out "dark: "
  run "$SKINSCAN" audit "$WORK/set" --fail-over quality_flags=0 -q
  expect_rc 3
  expect_err "gate failed: quality_flags = "
  # A model without feature statistics cannot give features: one line, before any image is read.
  run "$SKINSCAN" audit "$WORK/set" --features -m "$TINY7"
  expect_rc 1
  expect_err "the model has no feature statistics"
  run "$SKINSCAN" audit "$WORK/set" --features --min-cosine 1.5
  expect_rc 1
  expect_err "--min-cosine must be between -1 and 1"
}

"$1"
