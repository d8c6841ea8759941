package io.cryptvol.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.rolling.RollingFileAppender;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * The log file appender (see logback-spring.xml): a size-capped rolling file that is 0600 from its
 * first byte. Logback opens files with the process's umask (0644 as a rule); this one creates the
 * file owner-only before logback opens it, and tightens one that exists, at start and after every
 * roll-over. Rolled copies are renamed, so they keep 0600.
 */
public class PrivateRollingFileAppender extends RollingFileAppender<ILoggingEvent> {
    static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    @Override
    public void openFile(String fileName) throws IOException {
        makePrivate(Path.of(fileName));
        super.openFile(fileName);
    }

    /** Creates {@code file} as 0600 (with 0700 parents) or tightens it to 0600; never follows a symlink. */
    static void makePrivate(Path file) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        if (dir != null && !Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        if (Files.isSymbolicLink(file)) {
            throw new IOException(file + " is a symbolic link; the log is written only to a regular file");
        }
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        } catch (FileAlreadyExistsException e) {
            if (!Files.getPosixFilePermissions(file).equals(OWNER_ONLY)) {
                Files.setPosixFilePermissions(file, OWNER_ONLY);
            }
        }
    }
}
