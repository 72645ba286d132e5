package dev.serverlab.api;

/** A configuration a user gave is not valid. The message says what to change. */
public class ConfigException extends IllegalArgumentException {
    public ConfigException(String message) {
        super(message);
    }
}
