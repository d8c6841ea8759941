package io.cryptvol.record;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a command (method) or a whole command class whose runs are not written to a recording:
 * listings, status and help, anything that only reads. Spring Shell's built-in commands are covered
 * by {@link RecordRules#NOT_RECORDED}.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.METHOD, ElementType.TYPE})
public @interface NotRecorded {
}
