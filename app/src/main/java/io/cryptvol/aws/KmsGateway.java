package io.cryptvol.aws;

import io.cryptvol.CryptvolException;
import io.cryptvol.ExitCode;
import io.cryptvol.domain.ControlChars;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.DescribeKeyResponse;
import software.amazon.awssdk.services.kms.model.GenerateDataKeyResponse;
import software.amazon.awssdk.services.kms.model.KmsException;

import java.util.Base64;
import java.util.Map;
import java.util.function.Supplier;

/**
 * KMS through the real SDK {@link KmsClient}, configured as every client is ({@link AwsClients#configure}): the
 * key's ARN (DescribeKey, read-only) and a data key (GenerateDataKey). KMS's errors become one line each.
 */
public final class KmsGateway {
    private final Supplier<AwsClients> clients;

    public KmsGateway(Supplier<AwsClients> clients) {
        this.clients = clients;
    }

    /** A data key: the plaintext (the caller zeroes it), the wrapped key (base64) and the key's ARN. */
    public record DataKey(byte[] plaintext, String ciphertext, String keyArn) {
        @Override
        public String toString() {
            return "DataKey[" + keyArn + ", " + plaintext.length + " bytes]"; // never the bytes
        }
    }

    /** The region KMS calls go to when none is given: the session's. */
    public String region() {
        return clients.get().region();
    }

    /** The key's ARN and whether it is enabled; a key that is not there is one line (NotFoundException). */
    public String describe(String keyId, String region) {
        try (KmsClient kms = client(region)) {
            DescribeKeyResponse r = kms.describeKey(b -> b.keyId(keyId));
            if (!Boolean.TRUE.equals(r.keyMetadata().enabled())) {
                throw new CryptvolException("KMS key " + ControlChars.escape(r.keyMetadata().arn()) + " is "
                        + ControlChars.escape(String.valueOf(r.keyMetadata().keyStateAsString()))
                        + ": enable it or give another key", ExitCode.FAILED, null);
            }
            return r.keyMetadata().arn();
        } catch (SdkException e) {
            throw map(e, "DescribeKey of " + ControlChars.escape(keyId) + " in " + region);
        }
    }

    public DataKey generate(String keyArn, String region, Map<String, String> context, int bytes) {
        try (KmsClient kms = client(region)) {
            GenerateDataKeyResponse r = kms.generateDataKey(b -> b.keyId(keyArn).numberOfBytes(bytes)
                    .encryptionContext(context));
            return new DataKey(r.plaintext().asByteArray(), Base64.getEncoder().encodeToString(
                    r.ciphertextBlob().asByteArray()), r.keyId());
        } catch (SdkException e) {
            throw map(e, "GenerateDataKey with " + ControlChars.escape(keyArn));
        }
    }

    /** Decrypt (for checks): the plaintext of a wrapped key under {@code context}. */
    public byte[] decrypt(String ciphertext, String keyArn, String region, Map<String, String> context) {
        try (KmsClient kms = client(region)) {
            return kms.decrypt(b -> b.keyId(keyArn).encryptionContext(context)
                    .ciphertextBlob(SdkBytes.fromByteArray(Base64.getDecoder().decode(ciphertext)))).plaintext().asByteArray();
        } catch (SdkException e) {
            throw map(e, "Decrypt with " + ControlChars.escape(keyArn));
        }
    }

    private KmsClient client(String region) {
        return clients.get().configure(KmsClient.builder(), region).build();
    }

    static CryptvolException map(SdkException e, String what) {
        if (e instanceof KmsException k && k.awsErrorDetails() != null) {
            String code = String.valueOf(k.awsErrorDetails().errorCode());
            String line = switch (code) {
                case "NotFoundException" -> "the KMS key does not exist (" + what + ")";
                case "AccessDeniedException" -> "KMS denied " + what + ": the credentials in use may not use this key";
                case "DisabledException", "KMSInvalidStateException" -> "the KMS key is disabled or pending deletion ("
                        + what + ")";
                case "InvalidCiphertextException" -> "KMS refused the wrapped key (" + what + "): another key or"
                        + " another encryption context";
                default -> "KMS " + what + " failed: " + code;
            };
            return new CryptvolException(ControlChars.escape(line), ExitCode.FAILED, e);
        }
        return new CryptvolException("KMS " + what + " failed: " + ControlChars.escape(String.valueOf(e.getMessage())),
                ExitCode.FAILED, e);
    }
}
