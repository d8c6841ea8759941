package io.cryptvol.sandbox.ec2;

/** An EC2 error answer: code, message and the HTTP status EC2 uses for it. */
final class Ec2Error extends RuntimeException {
    final String code;
    final int status;

    Ec2Error(String code, String message) {
        this(code, message, statusFor(code));
    }

    Ec2Error(String code, String message, int status) {
        super(message);
        this.code = code;
        this.status = status;
    }

    static int statusFor(String code) {
        return switch (code) {
            case "RequestLimitExceeded", "ServiceUnavailable", "Unavailable" -> 503;
            case "InternalError", "InternalFailure" -> 500;
            case "UnauthorizedOperation" -> 403;
            case "AuthFailure" -> 401;
            default -> 400;
        };
    }

    static Ec2Error missing(String parameter) {
        return new Ec2Error("MissingParameter", "The request must contain the parameter " + parameter);
    }

    static Ec2Error invalid(String message) {
        return new Ec2Error("InvalidParameterValue", message);
    }

    static String defaultMessage(String code, String action) {
        return switch (code) {
            case "RequestLimitExceeded" -> "Request limit exceeded.";
            case "InternalError" -> "An internal error has occurred";
            case "UnauthorizedOperation" -> unauthorizedMessage(action);
            case "ServiceUnavailable", "Unavailable" -> "The service is unavailable. Please try again shortly.";
            default -> "Injected fault " + code + " for " + action;
        };
    }

    /** Shaped like EC2's own message, including the opaque blob cryptvol must not show. */
    static String unauthorizedMessage(String action) {
        return "You are not authorized to perform this operation. User: arn:aws:iam::"
                + SandboxEc2Server.ACCOUNT_ID + ":user/sandbox is not authorized to perform: ec2:" + action
                + " on resource: arn:aws:ec2:*:" + SandboxEc2Server.ACCOUNT_ID
                + ":*/* because no identity-based policy allows the ec2:" + action + " action. "
                + "Encoded authorization failure message: "
                + "TmljZSB0cnksIGJ1dCB0aGlzIGlzIGp1c3QgYSBzYW5kYm94IGJsb2IgdGhhdCBzaG91bGQgbmV2ZXIgYmUgcHJpbnRlZA";
    }
}
