import { launchHelpLines } from "../launchers/versions.js";

export const MAIN_HELP = `xep0355 — conformance suite for XMPP Namespace Delegation (XEP-0355) and Privileged Entity (XEP-0356)

Usage:
  xep0355 run [options]        run the suites (default: both roles against the embedded mocks)
  xep0355 list [options]       list scenarios, or requirements with the scenarios covering them
  xep0355 serve prosody|ejabberd[@VERSION]|mock-server|mock-component   keep one server or managing entity running, for manual interop
  xep0355 snippet prosody|ejabberd [--target FILE] [--full [--out DIR]]   server configuration for a target file,
                               or (--full) a complete loopback server and its target file (docs/own-server.md)
  xep0355 doctor --target FILE set-up problems of a server target (exit 3, with a fix), apart from conformance findings:
                               ports, logins, every component's secret (XEP-0356's reader and messenger too), privileges
  xep0355 record --target FILE | --listen PORT --upstream HOST:PORT   proxy a live session and write it as a scenario
  xep0355 replay FILE (--target FILE | --against mock-server)   run one scenario script against a target
  xep0355 minimize FILE (--target FILE | --against …)  shrink a failing script to the steps that matter
  xep0355 bench [options]      load benchmark: delegated vs plain IQs through one server
  xep0355 <command> --help     options of a command
  xep0355 --version            the suite's version

Exit codes: 0 every MUST passes · 1 a MUST fails, errors or is untested · 2 usage or scenario error · 3 set-up problem (target unreachable, a credential refused, an invalid target file) · 130 interrupted
`;

export const RUN_HELP = `xep0355 run — run the suites and write reports

Options:
  --role server|component|both  which suite to run (default: both with the embedded mocks, else the target file's role)
  --target FILE                 target file (JSON) describing a real server or component; see docs/target-file.md
  --launch NAME[@VERSION]       start a real target for the run (plain NAME: Debian 12's package, installed with apt-get;
                                a newer version runs from its own root, prepared on first launch: docs/versions.md):
${launchHelpLines("                                  ").join("\n")}
  --spec 0355|0356|all          which specifications to check: XEP-0355 (delegation), XEP-0356 (privileges), or both
                                (default: those the target declares; the embedded mock server declares both)
  --only ID,...                 run only these scenarios (scenario ids or requirement IDs)
  --scenarios PATH,...          scenario files and folders (their .scenario / .scenario.ts files) instead of the
                                built-in suites/<role>/; repeatable
  --reports DIR                 folder for the reports (junit.xml, results.json, index.html, …; default: reports),
                                created and checked before the run
  --concurrency N               scenarios run at once (default: 16)
  --timeout MS                  per-step timeout, overriding the target's
  --deadline MS                 limit for one whole scenario (default: 60000)
  --run-deadline MS             limit for the whole run; unfinished scenarios are reported interrupted (default: 1200000)
  --version 1|2                 protocol version of the embedded mocks (default: 2 = urn:xmpp:delegation:2)
  --mock-fault ID               switch on a fault of the embedded mock (repeatable), e.g. SRV-REP-05
  --strict                      not-supported counts as failure
  --expect FILE                 exit 0 only if every scenario's verdict equals FILE's (suites/expected/*.json), 1 on any difference
  --write-expected FILE         write this run's verdicts as an expected file
  --quiet                       no per-scenario lines
  -h, --help
`;

export const LIST_HELP = `xep0355 list — list scenarios or requirements

Options:
  --requirements   each catalogue requirement (XEP-0355, then XEP-0356) with the scenarios covering it
  --role R         server or component (default: both)
  --json           machine-readable output
  -h, --help
`;

export const BENCH_HELP = `xep0355 bench — load benchmark: delegated IQs vs plain IQs through the same server

N users log in on loopback and keep M IQs each in flight (N × M in total), first XEP-0199 pings
to the server (plain), then pubsub items gets the server forwards to its managing entity
(delegated). Every answer is checked: a wrong one (id, type, unwrapped, payload) or none within
--timeout is an error, never speed. Prints IQ/s, p50/p99 latency, errors and the delegation tax
(delegated cost / plain cost). Default: the embedded mock server with the mock component.

Options:
  --target FILE            a server you run yourself, on loopback (target file, docs/target-file.md)
  --launch NAME[@VERSION]  start a real server for the bench and stop it afterwards (prosody, ejabberd)
  --against echo|mock      echo: an in-process echo target, measuring the load generator alone;
                           mock: the embedded mock server (the default)
  --managing fast|mock-component   who answers the forwards (default: mock-component for the mock,
                           fast — the bench's raw responder — for --target and --launch)
  --users N                users logged in (default: 8; at most 256)
  --in-flight M            IQs in flight per user (default: 8; at most 1024)
  --duration S             seconds per phase, after a warm-up of a fifth of it up to 0.5 s (default: 3; at most 60)
  --count K                instead of --duration: exactly K IQs per phase
  --timeout MS             an IQ unanswered this long is an error (default: 5000)
  --version 1|2            protocol version of the embedded mocks (default: 2)
  --mock-fault ID          switch on a fault of the embedded mocks (repeatable), e.g. ME-REP-02
  --json                   {"delegated":{"iqPerSec","p50Ms","p99Ms","errors"},"plain":{…},"ratio"}
  -h, --help

Exit codes: 0 no error · 1 some answers were wrong or missing · 2 usage · 3 target unreachable (a login or the component handshake failed) · 130 interrupted
`;
