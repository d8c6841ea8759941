#!/usr/bin/env python3
"""Start-up benchmark: cryptvol vs a bare Spring Shell app on the same JDK.

Measures, as the median of several runs each:
  - ready-to-prompt: from exec until the interactive prompt is on the terminal (a pty);
  - one non-interactive command: `cryptvol --version` (answered without the shell) vs the bare app's
    `hello`, and `cryptvol context` (a command through the shell) vs `hello`.
cryptvol runs through scripts/cryptvol (extracted jar + AOT/CDS cache, as users run it); the bare
app runs from the same dependency classpath with the same JVM. Prints a table, writes JSON.

  scripts/bench/startup.py [--runs 5] [--java /path/to/bin/java] [--out target/bench/startup.json]
"""
import argparse, fcntl, json, os, pty, re, select, signal, statistics, struct, subprocess, sys, termios, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def sh(cmd, **kw):
    return subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True, **kw)


def time_to_prompt(argv, prompt_re, env, timeout=120):
    """Seconds from spawn until prompt_re shows on the pty; the process is then stopped."""
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
                    return time.monotonic() - t0
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


def median(xs):
    return round(statistics.median(xs), 3)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--java", default=None, help="java binary (default: the launcher's choice)")
    ap.add_argument("--out", default=os.path.join(ROOT, "target", "bench", "startup.json"))
    a = ap.parse_args()

    # one Maven run: the reactor resolves the sibling modules (sandbox) to their freshly built classes
    sh(["mvn", "-q", "-B", "-DskipTests", "package", "test-compile", "dependency:build-classpath",
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

    rows = {}
    rows["prompt cryptvol"] = median([time_to_prompt(cryptvol, r"cryptvol[^>]*> ", env) for _ in range(a.runs)])
    rows["prompt bare"] = median([time_to_prompt(bare, r"shell:>", env) for _ in range(a.runs)])
    rows["command cryptvol --version"] = median([time_command(cryptvol + ["--version"], env) for _ in range(a.runs)])
    rows["command cryptvol context"] = median([time_command(cryptvol + ["context"], env) for _ in range(a.runs)])
    rows["command bare hello"] = median([time_command(bare + ["hello"], env) for _ in range(a.runs)])
    ratios = {
        "prompt cryptvol / bare": round(rows["prompt cryptvol"] / rows["prompt bare"], 2),
        "command cryptvol / bare": round(rows["command cryptvol --version"] / rows["command bare hello"], 2),
        "command via shell / bare": round(rows["command cryptvol context"] / rows["command bare hello"], 2),
    }
    print("start-up on %s, median of %d runs" % (version, a.runs))
    print("%-34s %8s" % ("what", "seconds"))
    for k, v in rows.items():
        print("%-34s %8.3f" % (k, v))
    for k, v in ratios.items():
        print("%-34s %8.2fx" % (k, v))
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w") as f:
        json.dump({"java": version, "runs": a.runs, "seconds": rows, "ratios": ratios}, f, indent=2)
    print("wrote", a.out)


if __name__ == "__main__":
    sys.exit(main())
