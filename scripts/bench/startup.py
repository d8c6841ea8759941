#!/usr/bin/env python3
"""Start-up benchmark: cryptvol vs its floor (a bare JLine REPL) and a bare Spring Shell app, on the same JDK.

Measures, as the median of several runs each:
  - ready-to-prompt: from exec until the interactive prompt is on the terminal (a pty);
  - the floor: the same for io.cryptvol.bench.bare.BareJLineRepl (terminal, line reader, history, completer;
    no Spring), from a small jar of its own next to the same JLine/Jansi jars cryptvol ships, started with the
    launcher's JVM flags and a start-up cache trained the way the launcher trains its own;
  - one non-interactive command: `cryptvol --version` (answered without the shell) vs the bare app's
    `hello`, and `cryptvol context` (a command through the shell) vs `hello`.
cryptvol runs through scripts/cryptvol (extracted jar + AOT/CDS cache, as users run it); the bare
app runs from the same dependency classpath with the same JVM. Prints a table, writes JSON.

  scripts/bench/startup.py [--runs 5] [--java /path/to/bin/java] [--only prompt,floor,commands,bare]
                           [--no-build] [--compare OTHER/scripts/cryptvol] [--out target/bench/startup.json]

--compare times another build's launcher (e.g. a checkout of the commit before a change) in the same
interleaved runs, as the rows "... other": before and after under the same load.
"""
import argparse, fcntl, glob, json, os, pty, re, select, shutil, signal, statistics, struct, subprocess, sys, termios, \
    time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def sh(cmd, **kw):
    return subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True, **kw)


CPU = {}  # per prompt row: the process's CPU seconds (user + system, all threads) when its prompt showed


def time_to_prompt(argv, prompt_re, env, timeout=120, row=None):
    """Seconds from spawn until prompt_re shows on the pty; the process is then stopped. With row, the CPU time
    the process had used by then is kept in CPU[row]: a figure that a busy machine disturbs less than the clock."""
    pid, fd = pty.fork()
    if pid == 0:
        # a real terminal size: with 0 columns JLine cannot lay out the prompt
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        os.chdir(ROOT)
        os.execvpe(argv[0], argv, env)
    t0 = time.monotonic()
    buf = b""
    try:
        while time.monotonic() - t0 < timeout:
            r, _, _ = select.select([fd], [], [], 0.05)
            if r:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                buf += chunk
                if re.search(prompt_re, buf.decode("utf-8", "replace")):
                    dt = time.monotonic() - t0
                    if row:
                        with open("/proc/%d/stat" % pid) as f:
                            st = f.read().rsplit(")", 1)[1].split()
                        CPU.setdefault(row, []).append((int(st[11]) + int(st[12])) / os.sysconf("SC_CLK_TCK"))
                    return dt
        raise RuntimeError("no prompt within %ss; saw: %r" % (timeout, buf[-300:]))
    finally:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)
        os.close(fd)


def time_command(argv, env):
    t0 = time.monotonic()
    p = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True)
    dt = time.monotonic() - t0
    if p.returncode != 0:
        raise RuntimeError("%s failed: %s" % (argv, p.stderr[-500:]))
    return dt


def launcher_flags(java, major, jar_cp, main, cache_base):
    """The JVM flags scripts/cryptvol uses (C1 only, native access, a start-up cache trained by one run that
    reads end of input at its prompt), applied to another program: the floor gets what cryptvol gets."""
    flags = ["-XX:TieredStopAtLevel=1"] + (["--enable-native-access=ALL-UNNAMED"] if major >= 22 else [])
    run = ["-cp", jar_cp, main]
    if major >= 25:
        cache = cache_base + "-%d.aot" % major
        if not os.path.exists(cache):
            subprocess.run([java] + flags + ["-XX:AOTCacheOutput=" + cache] + run, stdin=subprocess.DEVNULL,
                           capture_output=True)
        if os.path.exists(cache):
            flags = flags + ["-XX:AOTCache=" + cache]
    else:
        cache = cache_base + "-%d.jsa" % major
        if not os.path.exists(cache):
            subprocess.run([java] + flags + ["-XX:ArchiveClassesAtExit=" + cache] + run, stdin=subprocess.DEVNULL,
                           capture_output=True)
        if os.path.exists(cache):
            flags = flags + ["-XX:SharedArchiveFile=" + cache, "-Xlog:cds=off", "-Xlog:cds+dynamic=off"]
    return [java] + flags + run


def floor_jar(java):
    """target/bench/floor/floor.jar (BareJLineRepl alone) and the JLine/Jansi jars of the extracted product
    jar: the floor runs the very JLine cryptvol runs. A new jar drops the old start-up cache."""
    d = os.path.join(ROOT, "target", "bench", "floor")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    jar_tool = os.path.join(os.path.dirname(os.path.realpath(shutil.which(java) or java)), "jar")
    classes = os.path.join(ROOT, "app", "target", "test-classes")
    members = [os.path.relpath(f, classes) for f in
               glob.glob(os.path.join(classes, "io", "cryptvol", "bench", "bare", "BareJLineRepl*.class"))]
    if not members:
        raise RuntimeError("BareJLineRepl is not compiled (mvn test-compile)")
    subprocess.run([jar_tool, "--create", "--file", os.path.join(d, "floor.jar")] +
                   sum([["-C", classes, m] for m in members], []), check=True)
    libs = sorted(glob.glob(os.path.join(ROOT, "target", "app", "lib", "jline-*.jar")) +
                  glob.glob(os.path.join(ROOT, "target", "app", "lib", "jansi-*.jar")))
    if not libs:
        raise RuntimeError("no JLine jars under target/app/lib (the launcher extracts the jar there)")
    return ":".join([os.path.join(d, "floor.jar")] + libs), os.path.join(d, "floor")


def median(xs):
    return round(statistics.median(xs), 3)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--java", default=None, help="java binary (default: the launcher's choice)")
    ap.add_argument("--only", default="prompt,floor,commands,bare")
    ap.add_argument("--no-build", action="store_true", help="use the jar and test classes as they are")
    ap.add_argument("--compare", default=None, help="another checkout's scripts/cryptvol, timed in the same runs")
    ap.add_argument("--out", default=os.path.join(ROOT, "target", "bench", "startup.json"))
    a = ap.parse_args()
    only = a.only.split(",")

    if not a.no_build:
        # the product jar first, in a run of its own: with a later phase (test-compile) in the same run the
        # reactor hands the sibling modules to the repackaging as class directories, and it leaves them out
        sh(["mvn", "-q", "-B", "-DskipTests", "package"])
        sh(["mvn", "-q", "-B", "-DskipTests", "test-compile", "dependency:build-classpath",
            "-Dmdep.outputFile=" + os.path.join(ROOT, "app", "target", "bench-cp.txt")])
    cp = ":".join([os.path.join(ROOT, "app", "target", "test-classes"), os.path.join(ROOT, "app", "target", "classes"),
                   open(os.path.join(ROOT, "app", "target", "bench-cp.txt")).read().strip()])

    env = dict(os.environ, NO_COLOR="1", CRYPTVOL_HOME=os.path.join(ROOT, "target", "bench", "home"))
    if a.java:
        env["CRYPTVOL_JAVA"] = a.java
    java = a.java or subprocess.run(["bash", "-c", "source <(sed -n '/^pick_java()/,/^}/p' scripts/cryptvol); pick_java"],
                                    cwd=ROOT, env=env, capture_output=True, text=True).stdout.strip()
    version = subprocess.run([java, "-version"], capture_output=True, text=True).stderr.splitlines()[0]
    major = int(re.search(r'"(\d+)', version).group(1))
    jvm_flags = ["--enable-native-access=ALL-UNNAMED"] if major >= 22 else []

    cryptvol = [os.path.join(ROOT, "scripts", "cryptvol")]
    bare = [java] + jvm_flags + ["-cp", cp, "io.cryptvol.bench.bare.BareShellApp"]
    time_command(cryptvol + ["context"], env)  # builds the start-up cache once
    other = [os.path.abspath(a.compare)] if a.compare else None
    if other:
        time_command(other + ["context"], env)

    floor_cp, floor_cache = floor_jar(java)
    floor = launcher_flags(java, major, floor_cp, "io.cryptvol.bench.bare.BareJLineRepl", floor_cache)

    # interleaved, so that a change of load on this shared machine hits every row alike
    samples = {}
    def sample(key, f):
        samples.setdefault(key, []).append(f())
    for _ in range(a.runs):
        if "prompt" in only:
            sample("prompt cryptvol", lambda: time_to_prompt(cryptvol, r"cryptvol[^>]*> ", env, row="prompt cryptvol"))
            if other:
                sample("prompt other", lambda: time_to_prompt(other, r"cryptvol[^>]*> ", env, row="prompt other"))
        if "floor" in only:
            sample("prompt floor", lambda: time_to_prompt(floor, r"floor:> ", env, row="prompt floor"))
        if "bare" in only:
            sample("prompt bare", lambda: time_to_prompt(bare, r"shell:>", env, row="prompt bare"))
        if "commands" in only:
            sample("command cryptvol --version", lambda: time_command(cryptvol + ["--version"], env))
            sample("command cryptvol context", lambda: time_command(cryptvol + ["context"], env))
            if other:
                sample("command other --version", lambda: time_command(other + ["--version"], env))
                sample("command other context", lambda: time_command(other + ["context"], env))
            if "bare" in only:
                sample("command bare hello", lambda: time_command(bare + ["hello"], env))
    rows = {k: median(v) for k, v in samples.items()}
    cpu = {k: median(v) for k, v in CPU.items()}
    ratios = {}
    for name, num, den in (("prompt cryptvol / floor", "prompt cryptvol", "prompt floor"),
                           ("prompt other / floor", "prompt other", "prompt floor"),
                           ("prompt cryptvol / other", "prompt cryptvol", "prompt other"),
                           ("prompt cryptvol / bare", "prompt cryptvol", "prompt bare"),
                           ("command cryptvol / bare", "command cryptvol --version", "command bare hello"),
                           ("command via shell / bare", "command cryptvol context", "command bare hello")):
        if num in rows and den in rows:
            ratios[name] = round(rows[num] / rows[den], 2)
        if num in cpu and den in cpu:
            ratios[name + " (cpu)"] = round(cpu[num] / cpu[den], 2)
    print("start-up on %s, median of %d runs" % (version, a.runs))
    print("%-34s %8s" % ("what", "seconds"))
    for k, v in rows.items():
        print("%-34s %8.3f%s" % (k, v, "   (cpu %.2f s)" % cpu[k] if k in cpu else ""))
    for k, v in ratios.items():
        print("%-34s %8.2fx" % (k, v))
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w") as f:
        json.dump({"java": version, "runs": a.runs, "seconds": rows, "samples": samples, "cpuSeconds": cpu,
                   "ratios": ratios,
                   "load": open("/proc/loadavg").read().split()[:3]}, f, indent=2)
    print("wrote", a.out)


if __name__ == "__main__":
    sys.exit(main())
