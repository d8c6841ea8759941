package io.cryptvol.fleet;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** --max-concurrency and --max-errors as SSM applies them, on hosts that fail where the table says. */
class FleetRunTest {

    @ParameterizedTest(name = "{0} hosts, failing {1}, concurrency {2}, max errors {3}")
    @CsvSource(delimiter = '|', value = {
            // hosts | failing (1-based) | concurrency | max errors | states                               | exceeded
            "3 | -     | 2 | 0 | OK OK OK                                      | false",
            "3 | 2     | 3 | 0 | OK FAILED OK                                  | true",
            "4 | 1     | 1 | 0 | FAILED NOT_STARTED NOT_STARTED NOT_STARTED  | true",
            "4 | 1     | 1 | 1 | FAILED OK OK OK                               | false",
            "4 | 1,2   | 1 | 1 | FAILED FAILED NOT_STARTED NOT_STARTED        | true",
            "5 | 1,3   | 1 | 2 | FAILED OK FAILED OK OK                        | false",
    })
    void limitsAsSsmAppliesThem(int n, String failing, int concurrency, int maxErrors, String states, boolean exceeded) {
        List<Integer> fail = failing.equals("-") ? List.of() : Arrays.stream(failing.split(",")).map(Integer::parseInt).toList();
        AtomicInteger running = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        List<FleetRun.Host> hosts = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            hosts.add(new FleetRun.Host("h" + i, "ssm:i-" + i));
        }
        FleetRun.Result r = FleetRun.run(hosts, concurrency, maxErrors, h -> {
            most.accumulateAndGet(running.incrementAndGet(), Math::max);
            try {
                Thread.sleep(40);
            } finally {
                running.decrementAndGet();
            }
            int k = Integer.parseInt(h.name().substring(1));
            return new FleetRun.Outcome(h, fail.contains(k) ? FleetRun.State.FAILED : FleetRun.State.OK,
                    fail.contains(k) ? 1 : 0, Duration.ofMillis(40), fail.contains(k) ? "s.cvsh:" + k : null, null, null);
        });
        assertThat(r.outcomes().stream().map(o -> o.state().name()).toList()).isEqualTo(List.of(states.trim().split("\\s+")));
        assertThat(r.outcomes().stream().map(o -> o.host().name()).toList()).as("in the order given")
                .isEqualTo(hosts.stream().map(FleetRun.Host::name).toList());
        assertThat(r.maxErrorsExceeded()).isEqualTo(exceeded);
        assertThat(most.get()).isLessThanOrEqualTo(concurrency);
        if (concurrency > 1 && fail.isEmpty()) {
            assertThat(most.get()).as("hosts run in parallel").isGreaterThan(1);
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "'[1/3] x.cvsh:5  provision\nerror: replay stopped at x.cvsh:5 (command 3 of 3) ''provision'': refused' | x.cvsh:5",
            "'error: /tmp/p.cvsh:7: ''sanitize'' has no dry run'                                                    | /tmp/p.cvsh:7",
            "'error: cannot reach host'                                                                            | ",
    })
    void whereAFailingHostStoppedIsReadFromItsLog(String log, String where) {
        assertThat(ReplayProcess.where(log.replace("\\n", "\n"))).isEqualTo(where);
    }
}
