package io.cryptvol.exec;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import javax.crypto.Cipher;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.PSource;
import javax.crypto.spec.SecretKeySpec;

/**
 * Key bytes for a host reached over SSM, which has no stdin: encrypted here to a one-time RSA key pair the
 * instance made on its tmpfs, so that what travels through SSM (and stays in its command history) is ciphertext
 * only. A fresh 256-bit passphrase (hex) is wrapped with RSA-OAEP (SHA-256, MGF1-SHA-256); the key bytes are
 * encrypted in {@code openssl enc} format ({@code Salted__}, PBKDF2-HMAC-SHA256, AES-256-CBC), so that the
 * instance needs only the openssl CLI to decrypt: {@code openssl pkeyutl -decrypt} then
 * {@code openssl enc -d -aes-256-cbc -pbkdf2 -iter 10000 -md sha256 -pass file:…}.
 */
final class SsmKeyWrap {
    static final int ITERATIONS = 10_000;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Base64 of the wrapped passphrase and of the encrypted key bytes. */
    record Sealed(String wrappedPassphrase, String blob) {
    }

    private SsmKeyWrap() {
    }

    /** The public key the instance printed ({@code openssl pkey -pubout}: PEM SubjectPublicKeyInfo, RSA). */
    static PublicKey publicKey(String pem) {
        String b64 = pem.replaceAll("-----(BEGIN|END) PUBLIC KEY-----", "").replaceAll("\\s", "");
        try {
            PublicKey k = KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(b64)));
            if (k instanceof java.security.interfaces.RSAPublicKey rsa && rsa.getModulus().bitLength() < 2048) {
                throw new HostExecutionException("the instance's one-time key is " + rsa.getModulus().bitLength()
                        + " bits; refusing to send key bytes under less than 2048");
            }
            return k;
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new HostExecutionException("the instance did not print a usable public key for the key transfer", e);
        }
    }

    static Sealed seal(byte[] secret, PublicKey to) {
        byte[] pass = HexFormat.of().formatHex(random(32)).getBytes(StandardCharsets.US_ASCII);
        char[] passChars = new String(pass, StandardCharsets.US_ASCII).toCharArray();
        byte[] derived = null;
        try {
            Cipher rsa = Cipher.getInstance("RSA/ECB/OAEPPadding");
            rsa.init(Cipher.ENCRYPT_MODE, to, new OAEPParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256,
                    PSource.PSpecified.DEFAULT));
            byte[] wrapped = rsa.doFinal(pass);

            byte[] salt = random(8);
            derived = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256")
                    .generateSecret(new PBEKeySpec(passChars, salt, ITERATIONS, 48 * 8)).getEncoded();
            Cipher aes = Cipher.getInstance("AES/CBC/PKCS5Padding");
            aes.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(derived, 0, 32, "AES"), new IvParameterSpec(derived, 32, 16));
            byte[] body = aes.doFinal(secret);
            byte[] blob = new byte[16 + body.length];
            System.arraycopy("Salted__".getBytes(StandardCharsets.US_ASCII), 0, blob, 0, 8);
            System.arraycopy(salt, 0, blob, 8, 8);
            System.arraycopy(body, 0, blob, 16, body.length);
            return new Sealed(Base64.getEncoder().encodeToString(wrapped), Base64.getEncoder().encodeToString(blob));
        } catch (GeneralSecurityException e) {
            throw new HostExecutionException("cannot encrypt key bytes for the instance: " + e.getMessage(), e);
        } finally {
            Arrays.fill(pass, (byte) 0);
            Arrays.fill(passChars, '\0');
            if (derived != null) {
                Arrays.fill(derived, (byte) 0);
            }
        }
    }

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }
}
