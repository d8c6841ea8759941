package io.cryptvol.aws;

import io.cryptvol.CryptvolException;
import io.cryptvol.ExitCode;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Turns SDK exceptions into one-line {@link CryptvolException}s, by EC2 error code. */
public final class Ec2Errors {
    private static final Pattern PRINCIPAL = Pattern.compile("User: (\\S+) is not authorized");
    private static final Pattern PROFILE = Pattern.compile("ProfileCredentialsProvider\\(profileName=([A-Za-z0-9_.@+-]{1,64})[,)]");
    private static final Pattern ENCODED = Pattern.compile("\\s*Encoded authorization failure message:.*", Pattern.DOTALL);

    private Ec2Errors() {
    }

    /** The EC2 error code of a failure (looking through wrappers), or null. */
    public static String code(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof AwsServiceException a && a.awsErrorDetails() != null) {
                return a.awsErrorDetails().errorCode();
            }
        }
        return null;
    }

    /**
     * @param action the EC2 action ("CreateVolume") the failure came from
     */
    public static CryptvolException map(Throwable failure, String action) {
        Throwable t = unwrap(failure);
        if (t instanceof CryptvolException ce) {
            return ce;
        }
        AwsServiceException service = find(t, AwsServiceException.class);
        if (service != null && service.awsErrorDetails() != null) {
            return new CryptvolException(message(service, action), service);
        }
        if (t instanceof SdkClientException sce) {
            String noCredentials = missingCredentials(sce, action);
            if (noCredentials != null) {
                return new CryptvolException(noCredentials, ExitCode.FAILED, sce);
            }
            return new CryptvolException("cannot reach EC2 for " + action + ": " + oneLine(rootMessage(sce)), sce);
        }
        if (t instanceof SdkException se) {
            return new CryptvolException(action + " failed: " + oneLine(se.getMessage()), se);
        }
        return new CryptvolException(action + " failed: " + oneLine(String.valueOf(t.getMessage())), t);
    }

    /**
     * When the SDK found no credentials at all ("Unable to load credentials from any of the providers in the
     * chain …", with a 1,300-character list of providers), the one line that says what to set; else null.
     * The profile is named when it is not the default one (only when it reads as a profile name).
     */
    static String missingCredentials(SdkClientException e, String action) {
        String msg = null;
        for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c.getMessage() != null && c.getMessage().startsWith("Unable to load credentials")) {
                msg = c.getMessage();
                break;
            }
        }
        if (msg == null) {
            return null;
        }
        Matcher m = PROFILE.matcher(msg);
        String profile = m.find() && !"default".equals(m.group(1)) ? m.group(1) : null;
        return "no AWS credentials for ec2:" + action + (profile == null ? "" : " (profile '" + profile + "' has none)")
                + " — set AWS_PROFILE to a profile with credentials, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY,"
                + " or run 'aws configure'; on an EC2 instance, attach an instance role";
    }

    static String message(AwsServiceException e, String action) {
        String code = e.awsErrorDetails().errorCode();
        String raw = e.awsErrorDetails().errorMessage() == null ? "" : e.awsErrorDetails().errorMessage();
        String msg = oneLine(ENCODED.matcher(raw).replaceAll(""));
        if (code == null) {
            return action + " failed: HTTP " + e.statusCode() + " " + msg;
        }
        switch (code) {
            case "UnauthorizedOperation", "AccessDenied", "AccessDeniedException" -> {
                Matcher m = PRINCIPAL.matcher(raw);
                String who = m.find() ? m.group(1) : "the credentials in use";
                return "not allowed: ec2:" + action + " — check the IAM policy of " + who;
            }
            case "AuthFailure", "InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException" -> {
                return "AWS rejected the credentials (" + code + ") — check the profile or the AWS_* variables";
            }
            case "ExpiredToken", "RequestExpired" -> {
                return "the AWS credentials have expired (" + code + ") — refresh them (e.g. aws sso login) and retry";
            }
            case "RequestLimitExceeded", "Throttling", "ThrottlingException" -> {
                return "EC2 is throttling " + action + " (" + code + ") even after retries — wait a minute and try again";
            }
            case "InternalError", "InternalFailure", "ServiceUnavailable", "Unavailable" -> {
                return "EC2 failed on " + action + " (" + code + ") even after retries — try again later";
            }
            case "VolumeLimitExceeded", "SnapshotLimitExceeded" -> {
                return action + ": " + msg + " (" + code + ") — ask AWS for a higher quota or delete unused ones";
            }
            case "DryRunOperation" -> {
                return "allowed: ec2:" + action + " (dry run)";
            }
            default -> {
                return action + ": " + (msg.isEmpty() ? "failed" : msg) + " (" + code + ")";
            }
        }
    }

    static Throwable unwrap(Throwable t) {
        Throwable c = t;
        while ((c instanceof CompletionException || c instanceof ExecutionException) && c.getCause() != null) {
            c = c.getCause();
        }
        return c;
    }

    static <T extends Throwable> T find(Throwable t, Class<T> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return type.cast(c);
            }
        }
        return null;
    }

    private static String rootMessage(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        String m = c.getMessage() != null ? c.getMessage() : c.getClass().getSimpleName();
        return c == t ? m : t.getMessage() + " (" + m + ")";
    }

    static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s*[\\r\\n]+\\s*", " ").trim();
    }
}
