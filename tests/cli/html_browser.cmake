# cli/html_browser: a lesson page of `uvmsim html` in a real browser.  Headless Chromium
# loads examples/scenarios/cow-fork.scn's page at #step=N (N: the child's store) and the
# DOM it dumps after the page's script ran must show that step: the section shown and
# every other hidden, the step's line highlighted in the listing (its expect lines too),
# the fault class upper-promote in the status line, the new anon marked in the picture
# and listed, the counters with their change.  The fragment is clamped (#step=999 shows
# the last step); the buttons and arrow keys are driven from a small harness page that
# holds the lesson in a frame.  A screenshot of the step must be a PNG of the window's
# size with something drawn in it.
# Prints "SKIP: ..." (CTest SKIP_REGULAR_EXPRESSION) where Chromium or Graphviz is missing.
#   cmake -DUVMSIM=path/to/uvmsim -DSRC=source-dir -DWORK=scratch-dir [-DCHROMIUM=path] -P html_browser.cmake

if(NOT CHROMIUM)
  find_program(CHROMIUM NAMES chromium chromium-browser google-chrome)
endif()
if(NOT CHROMIUM)
  message("SKIP: chromium is not installed (Debian package chromium): the lesson page is not checked in a browser")
  return()
endif()
find_program(DOT_EXE dot)
if(NOT DOT_EXE)
  message("SKIP: Graphviz dot is not installed: uvmsim html cannot draw the pages")
  return()
endif()

file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
set(SCN ${SRC}/examples/scenarios/cow-fork.scn)

function(fail what)
  message(FATAL_ERROR "html_browser: ${what}")
endfunction()
function(must_have what text needle)
  string(FIND "${text}" "${needle}" at)
  if(at EQUAL -1)
    string(SUBSTRING "${text}" 0 3000 head)
    fail("${what}: [${needle}] not found in:\n${head}")
  endif()
endfunction()

# The step number and line of the child's store, counted from the scenario itself: a
# step is any line that is not blank, a comment or an expect line.
file(STRINGS ${SCN} lines)
set(step 0)
set(lineno 0)
set(N "")
foreach(l IN LISTS lines)
  math(EXPR lineno "${lineno} + 1")
  string(STRIP "${l}" t)
  if(t STREQUAL "" OR t MATCHES "^#" OR t MATCHES "^expect ")
    continue()
  endif()
  math(EXPR step "${step} + 1")
  if(t MATCHES "^store child " AND N STREQUAL "")
    set(N ${step})
    set(LINE ${lineno})
  endif()
endforeach()
set(NSTEPS ${step})
if(N STREQUAL "")
  fail("no 'store child' step in ${SCN}")
endif()
message(STATUS "the child's store is step ${N} of ${NSTEPS}, line ${LINE}")

execute_process(COMMAND ${UVMSIM} html ${SCN} -o ${WORK}/cow.html RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  fail("uvmsim html: exit status ${rc}: ${err}")
endif()

# Chromium, headless, with a fresh profile and nothing that reaches for the network.
set(run 0)
function(chromium out)
  math(EXPR n "${run} + 1")
  set(run ${n} PARENT_SCOPE)
  execute_process(
    COMMAND ${CHROMIUM} --headless --no-sandbox --disable-gpu --disable-quic --no-first-run
            --disable-background-networking --disable-component-update --disable-sync
            --user-data-dir=${WORK}/profile-${n} ${ARGN}
    RESULT_VARIABLE rc OUTPUT_VARIABLE o ERROR_VARIABLE e TIMEOUT 120)
  if(NOT rc EQUAL 0)
    fail("chromium ${ARGN}: exit status ${rc}\n${e}")
  endif()
  set(${out} "${o}" PARENT_SCOPE)
endfunction()

# The section of step K in a dumped DOM: its opening tag in TAG, its text in SEC.
function(section dom k)
  string(REGEX MATCH "<section class=\"step\" id=\"step-${k}\"[^>]*>" tag "${dom}")
  if(NOT tag)
    fail("no section step-${k} in the DOM")
  endif()
  string(FIND "${dom}" "${tag}" a)
  string(SUBSTRING "${dom}" ${a} -1 rest)
  string(FIND "${rest}" "</section>" b)
  string(SUBSTRING "${rest}" 0 ${b} sec)
  set(TAG "${tag}" PARENT_SCOPE)
  set(SEC "${sec}" PARENT_SCOPE)
endfunction()

# Exactly one section is shown (no hidden attribute): step K.
function(shown dom k)
  string(REGEX MATCHALL "<section class=\"step\"[^>]*>" tags "${dom}")
  list(LENGTH tags ntags)
  if(NOT ntags EQUAL NSTEPS)
    fail("${ntags} step sections in the DOM, wanted ${NSTEPS}")
  endif()
  set(visible "")
  foreach(t IN LISTS tags)
    if(NOT t MATCHES " hidden")
      list(APPEND visible "${t}")
    endif()
  endforeach()
  list(LENGTH visible nvis)
  if(NOT nvis EQUAL 1 OR NOT visible MATCHES "id=\"step-${k}\"")
    fail("at #step=${k} the sections shown are: ${visible}")
  endif()
endfunction()

# --- the child's store, opened by its fragment ---
chromium(dom --dump-dom "file://${WORK}/cow.html#step=${N}")
must_have("script ran" "${dom}" "<body class=\"js\">")
shown("${dom}" ${N})
# the status line names the step, its line and its fault class
string(REGEX MATCH "<span id=\"now\">step ${N} of ${NSTEPS} [^ <]+ line ${LINE} [^ <]+ upper-promote</span>" now "${dom}")
if(NOT now)
  string(REGEX MATCH "<span id=\"now\">[^<]*</span>" now "${dom}")
  fail("status line at #step=${N}: ${now}")
endif()
# the step's line is highlighted in the listing, and so are its expect lines
must_have("highlighted line" "${dom}" "<span class=\"ln st cur\" id=\"L${LINE}\">")
string(REGEX MATCHALL "class=\"ln [^\"]*cur[^\"]*\"" curs "${dom}")
list(LENGTH curs ncur)
if(NOT ncur EQUAL 1)
  fail("${ncur} lines highlighted as current: ${curs}")
endif()
math(EXPR next_line "${LINE} + 1")
must_have("expect line highlighted" "${dom}" "<span class=\"ln ex ok exp\" id=\"L${next_line}\">")
section("${dom}" ${N})
must_have("fault class" "${TAG}" "data-fault=\"upper-promote\"")
must_have("fault class shown" "${SEC}" "Fault class: <b class=\"fclass\">upper-promote</b>")
# the changed elements are marked: the new anon in the picture and in the list
must_have("new anon marked" "${SEC}" "class=\"node new\"")
string(REGEX MATCH "<g id=\"s${N}_anon_[0-9a-f]+\" class=\"node new\">" newanon "${SEC}")
if(NOT newanon)
  fail("no new anon node in the picture of step ${N}")
endif()
must_have("old anon marked" "${SEC}" "class=\"node changed\"")
must_have("changes listed" "${SEC}" "<li class=\"new\">new anon with RAM page")
# the counters, with the step's change
must_have("counters" "${SEC}" "<tr class=\"chg\" data-key=\"vm.faults.upper-promote\"><td>vm.faults.upper-promote</td><td>1</td><td>+1</td></tr>")
must_have("counters" "${SEC}" "<tr class=\"chg\" data-key=\"ram.anon_pages\"><td>ram.anon_pages</td><td>2</td><td>+1</td></tr>")
must_have("expect results" "${SEC}" "<li class=\"ok\" data-line=\"${next_line}\">")
# the buttons: both usable in the middle of the lesson
must_have("buttons" "${dom}" "<button id=\"prev\" type=\"button\">")
must_have("buttons" "${dom}" "<button id=\"next\" type=\"button\">")

# --- the fragment is clamped; the first step disables "previous" ---
chromium(dom --dump-dom "file://${WORK}/cow.html#step=999")
shown("${dom}" ${NSTEPS})
must_have("last step" "${dom}" "<button id=\"next\" type=\"button\" disabled=\"\">")
chromium(dom --dump-dom "file://${WORK}/cow.html")
shown("${dom}" 1)
must_have("first step" "${dom}" "<button id=\"prev\" type=\"button\" disabled=\"\">")

# --- buttons and arrow keys, driven from a harness page holding the lesson in a frame ---
math(EXPR before "${N} - 1")
file(WRITE ${WORK}/harness.html "<!DOCTYPE html><html><body><pre id=\"out\"></pre>
<iframe id=\"f\" src=\"cow.html#step=${before}\" width=\"1200\" height=\"800\"></iframe>
<script>
var f = document.getElementById('f'), out = document.getElementById('out'), log = [];
function doc() { return f.contentDocument; }
function now() { return doc().getElementById('now').textContent.split(' ').slice(0, 4).join(' ') +
  ' hash=' + f.contentWindow.location.hash; }
function key(k) { doc().dispatchEvent(new KeyboardEvent('keydown', {key: k, bubbles: true})); }
var acts = [['next', function () { doc().getElementById('next').click(); }],
            ['right', function () { key('ArrowRight'); }],
            ['left', function () { key('ArrowLeft'); }],
            ['prev', function () { doc().getElementById('prev').click(); }]];
function step(i) {
  if (i === acts.length) { out.textContent = log.join('\\n') + '\\nDONE'; return; }
  acts[i][1]();
  setTimeout(function () { log.push(acts[i][0] + ': ' + now()); step(i + 1); }, 50);
}
f.addEventListener('load', function () { log.push('load: ' + now()); step(0); });
</script></body></html>
")
chromium(dom --allow-file-access-from-files --virtual-time-budget=10000 --dump-dom "file://${WORK}/harness.html")
math(EXPR after "${N} + 1")
foreach(want "load: step ${before} of ${NSTEPS} hash=#step=${before}" "next: step ${N} of ${NSTEPS} hash=#step=${N}"
             "right: step ${after} of ${NSTEPS} hash=#step=${after}" "left: step ${N} of ${NSTEPS} hash=#step=${N}"
             "prev: step ${before} of ${NSTEPS} hash=#step=${before}" "DONE")
  must_have("navigation" "${dom}" "${want}")
endforeach()

# --- a screenshot of the step: a PNG of the window's size, not blank ---
chromium(shot --window-size=1280,900 --screenshot=${WORK}/step.png "file://${WORK}/cow.html#step=${N}")
if(NOT EXISTS ${WORK}/step.png)
  fail("no screenshot written")
endif()
file(READ ${WORK}/step.png sig LIMIT 8 HEX)
file(READ ${WORK}/step.png ihdr OFFSET 12 LIMIT 12 HEX)
file(SIZE ${WORK}/step.png size)
if(NOT sig STREQUAL "89504e470d0a1a0a")
  fail("the screenshot is not a PNG (${sig})")
endif()
# IHDR: width 1280 (0x500) and height 900 (0x384), big-endian
if(NOT ihdr STREQUAL "494844520000050000000384")
  fail("the screenshot's IHDR is ${ihdr}, wanted 1280 x 900")
endif()
# An empty white window of this size compresses to a few KiB; the page with its
# picture, listing and panels is far larger.
if(size LESS 40000)
  fail("the screenshot is only ${size} bytes: nothing much was drawn")
endif()
message(STATUS "html_browser: OK (step ${N}, screenshot ${size} bytes)")
