package io.cryptvol.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.rolling.RollingFileAppender;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The log file appender (see logback-spring.xml): a size-capped rolling file that is 0600 from its
 * first byte. Logback opens files with the process's umask (0644 as a rule); this one creates the
 * file owner-only before logback opens it, and tightens one that exists, at start and after every
 * roll-over. Rolled copies are renamed, so they keep 0600.
 */
public class PrivateRollingFileAppender extends RollingFileAppender<ILoggingEvent> {
    @Override
    public void openFile(String fileName) throws IOException {
        io.cryptvol.session.Dirs.ensurePrivateFile(Path.of(fileName)); // 0600 (0700 parents); a symlink is refused
        super.openFile(fileName);
    }
}
