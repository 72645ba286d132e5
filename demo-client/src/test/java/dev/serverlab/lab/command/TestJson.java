package dev.serverlab.lab.command;

import tools.jackson.databind.json.JsonMapper;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads a JSON document with Jackson into maps, lists, strings, booleans and nulls, with every number a Double (as JSON has one number type). */
final class TestJson {

    private TestJson() {
    }

    static Object parse(String json) {
        return numbersAsDoubles(JsonMapper.shared().readValue(json, Object.class));
    }

    private static Object numbersAsDoubles(Object value) {
        return switch (value) {
            case Number n -> n.doubleValue();
            case Map<?, ?> m -> {
                Map<String, Object> copy = new LinkedHashMap<>();
                m.forEach((k, v) -> copy.put((String) k, numbersAsDoubles(v)));
                yield copy;
            }
            case List<?> l -> l.stream().map(TestJson::numbersAsDoubles).toList();
            case null, default -> value;
        };
    }
}
