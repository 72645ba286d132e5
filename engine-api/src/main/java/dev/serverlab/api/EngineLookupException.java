package dev.serverlab.api;

/** No engine, or more than one, matches what was asked for. The message lists what was found. */
public class EngineLookupException extends ConfigException {
    public EngineLookupException(String message) {
        super(message);
    }
}
