"""Assessment pipeline: snapshot -> signals -> outcomes -> levels -> plan -> renderers."""
