package io.cryptvol.sandbox.api;

import com.sun.net.httpserver.HttpExchange;

import java.io.IOException;

/**
 * One AWS service the sandbox endpoint speaks besides EC2 (S3, KMS, SSM, ...). The endpoint reads the
 * service name from each request's SigV4 credential scope ({@code Credential=AKID/DATE/REGION/SERVICE/aws4_request})
 * and hands the request to the service registered under that name, so every SDK client of the product
 * takes the same {@code endpointOverride}. Requests for EC2 (scope {@code ec2}), or with no scope, stay
 * with the EC2 backend.
 */
public interface SandboxService extends AutoCloseable {

    /** The SigV4 signing name this service answers to, e.g. {@code "s3"}, {@code "kms"}, {@code "ssm"}. */
    String signingName();

    /**
     * Answers one request. {@code region} is the credential scope's region. The exchange is closed by the
     * caller. An exception that escapes is answered 500 by the endpoint.
     */
    void handle(HttpExchange exchange, String region) throws IOException;

    @Override
    default void close() {
    }
}
