package io.cryptvol.aws;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The product carries one HTTP client for EC2, the one {@link AwsClients} uses (UrlConnectionHttpClient); the
 * others the {@code ec2} artifact would pull in (Apache 4 and 5, Netty with its dozen jars) are excluded in
 * app/pom.xml, so they are not in the jar (and not on this class path, which has the same runtime dependencies).
 */
class HttpClientDietTest {

    @ParameterizedTest
    @CsvSource({
            "software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient, true",
            "software.amazon.awssdk.http.apache.ApacheHttpClient,               false",
            "software.amazon.awssdk.http.apache5.Apache5HttpClient,             false",
            "software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient,     false",
            "io.netty.channel.Channel,                                          false",
            "org.apache.hc.client5.http.classic.HttpClient,                     false",
    })
    void onlyTheUrlConnectionClientIsThere(String className, boolean present) {
        assertThat(loadable(className)).as(className).isEqualTo(present);
    }

    private static boolean loadable(String name) {
        try {
            Class.forName(name, false, HttpClientDietTest.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }
}
