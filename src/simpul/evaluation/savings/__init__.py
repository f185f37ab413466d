"""What online services saved: paper, printed copies, courier trips and citizens' trips."""
