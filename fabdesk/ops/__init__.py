"""Operations: backup and restore, and what keeps a lab's data safe."""
