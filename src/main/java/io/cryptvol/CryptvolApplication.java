package io.cryptvol;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

@SpringBootApplication
public class CryptvolApplication {
    public static void main(String[] args) {
        SpringApplication.run(CryptvolApplication.class, args);
    }
}
