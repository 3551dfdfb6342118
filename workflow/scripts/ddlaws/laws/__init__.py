"""The laws: line fits, the scaling law with its saturation and free exponent,
the coverage law, the required size, the gap table and the utility boundary;
and a table of accuracies measured elsewhere, read and checked for them."""
