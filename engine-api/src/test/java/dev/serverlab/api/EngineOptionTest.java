package dev.serverlab.api;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EngineOptionTest {

    private static final EngineOption ACCEPT = EngineOption.choice("accept", "where workers take connections", "shared", "reuseport");

    @Test
    void aChoiceTakesOneOfItsWordsInAnyCase() {
        assertThat(ACCEPT.kind()).isEqualTo(EngineOption.Kind.CHOICE);
        assertThat(ACCEPT.validate("reuseport")).isEqualTo("reuseport");
        assertThat(ACCEPT.validate(" Shared ")).isEqualTo("shared");
    }

    @Test
    void aWordNotAmongTheChoicesIsAnErrorListingThem() {
        assertThatThrownBy(() -> ACCEPT.validate("fork"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("--accept takes one of shared, reuseport, not 'fork'");
        assertThatThrownBy(() -> ACCEPT.validate(null)).isInstanceOf(ConfigException.class).hasMessageContaining("shared, reuseport");
    }

    @Test
    void theThreeArgumentConstructorStillMakesTheOtherKinds() {
        EngineOption gil = new EngineOption("gil", EngineOption.Kind.FLAG, "a GIL");
        assertThat(gil.choices()).isEmpty();
        assertThat(gil.validate(null)).isEqualTo("true");
        assertThat(new EngineOption("loops", EngineOption.Kind.COUNT, "loops").validate("3")).isEqualTo("3");
    }

    @Test
    void aChoiceNeedsTwoWordsAndOnlyAChoiceHasThem() {
        assertThatThrownBy(() -> EngineOption.choice("accept", "one", "shared")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new EngineOption("accept", EngineOption.Kind.CHOICE, "none")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new EngineOption("gil", EngineOption.Kind.FLAG, "x", java.util.List.of("a", "b")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EngineOption.choice("accept", "bad word", "shared", "Reuse Port")).isInstanceOf(IllegalArgumentException.class);
    }
}
