package dev.serverlab.api.app;

import java.util.ArrayList;
import java.util.List;

/** The header fields of a request, in the order received. Lookup ignores case, as HTTP does. */
public final class Headers {

    public static final Headers EMPTY = new Headers(List.of());

    private final List<Header> fields;

    /** A copy of {@code fields}: one unmodifiable list, no wrapper around a second one. */
    public Headers(List<Header> fields) {
        this.fields = List.copyOf(fields);
    }

    /** The first value of {@code name}, or null. */
    public String get(String name) {
        for (int i = 0; i < fields.size(); i++) { // by index: no iterator per lookup on the hot path
            Header h = fields.get(i);
            if (h.name().equalsIgnoreCase(name)) return h.value();
        }
        return null;
    }

    public List<String> all(String name) {
        List<String> values = new ArrayList<>(1);
        for (Header h : fields) {
            if (h.name().equalsIgnoreCase(name)) values.add(h.value());
        }
        return values;
    }

    public boolean contains(String name) {
        return get(name) != null;
    }

    public List<Header> fields() {
        return fields;
    }

    public int size() {
        return fields.size();
    }

    @Override
    public String toString() {
        return fields.toString();
    }
}
